//! Checking that a trace uses its ids correctly: [`Liveness`] follows which ids are live,
//! for the parser and for [`Trace::validate`] (a trace built by hand).

use alloc::string::ToString;
use alloc::vec::Vec;

use super::error::{TraceError, TraceErrorKind};
use super::ops::{Op, Trace, MAX_IDS, MAX_SIZE};

/// The state of one id while checking a trace.
#[derive(Clone, Copy)]
enum State {
    Never,
    Live { since: usize },
    Freed { at: usize },
}

/// Follows which ids are live, to refuse double frees and the like. Shared by the parser and
/// [`Trace::validate`].
pub(super) struct Liveness {
    states: Vec<State>,
}

impl Liveness {
    /// A checker for ids below `ids` (which must be at most [`MAX_IDS`]). The table grows as
    /// ids are seen, so a large declared count costs nothing until it is used.
    pub(super) fn new(ids: usize) -> Liveness {
        Liveness {
            states: Vec::with_capacity(ids.min(1024)),
        }
    }

    /// Applies one operation whose id is known to be in range, or says why it is not allowed.
    pub(super) fn step(&mut self, op: Op, line: usize) -> Result<(), TraceErrorKind> {
        let id = op.id();
        if id >= self.states.len() {
            self.states.resize(id + 1, State::Never);
        }
        let state = &mut self.states[id];
        match (op, *state) {
            (Op::Alloc { .. }, State::Live { since }) => {
                return Err(TraceErrorKind::AllocLive { id, since })
            }
            (Op::Alloc { .. }, _) => *state = State::Live { since: line },
            (Op::Free { .. }, State::Live { .. }) => *state = State::Freed { at: line },
            (Op::Free { .. }, State::Freed { at }) => {
                return Err(TraceErrorKind::DoubleFree { id, freed_at: at })
            }
            (Op::Realloc { .. }, State::Live { .. }) => {}
            (Op::Realloc { .. }, State::Freed { at }) => {
                return Err(TraceErrorKind::ReallocFreed { id, freed_at: at })
            }
            (Op::Free { .. } | Op::Realloc { .. }, State::Never) => {
                return Err(TraceErrorKind::NeverAllocated {
                    op: op.letter(),
                    id,
                })
            }
        }
        Ok(())
    }
}

impl Trace {
    /// Checks what `parse` checks, for a trace built by hand: the id limit, ids in range,
    /// sizes in range, and that blocks are freed or reallocated only while live and allocated
    /// only while not.
    pub fn validate(&self) -> Result<(), TraceError> {
        if self.ids > MAX_IDS {
            return Err(TraceError {
                line: 2,
                column: None,
                kind: TraceErrorKind::TooManyIds { ids: self.ids },
            });
        }
        let mut liveness = Liveness::new(self.ids);
        for (index, op) in self.ops.iter().enumerate() {
            let line = self.line_of(index);
            let error = |kind| TraceError {
                line,
                column: None,
                kind,
            };
            if let Some(size) = op.size().filter(|&s| s > MAX_SIZE) {
                return Err(error(TraceErrorKind::SizeTooLarge {
                    found: size.to_string(),
                }));
            }
            if op.id() >= self.ids {
                return Err(error(TraceErrorKind::IdOutOfRange {
                    id: op.id().to_string(),
                    ids: self.ids,
                }));
            }
            liveness.step(*op, line).map_err(error)?;
        }
        Ok(())
    }
}
