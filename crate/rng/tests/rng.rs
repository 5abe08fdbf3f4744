//! The one random-number generator, [`Rng`]: it is SplitMix64 to the bit, its ways of drawing
//! stay in their bounds and reach both ends, and the same seed gives the same numbers (the
//! trace generator and every seeded test rely on that).

use brkalloc_rng::Rng;

/// SplitMix64's published first outputs for seed 0: the definition, not an approximation.
#[test]
fn next_u64_is_splitmix64() {
    let mut rng = Rng::new(0);
    assert_eq!(rng.next_u64(), 0xe220_a839_7b1d_cdaf);
    assert_eq!(rng.next_u64(), 0x6e78_9e6a_a1b9_65f4);
    assert_eq!(rng.next_u64(), 0x06c4_5d18_8009_454f);
}

#[test]
fn range_stays_within_its_bounds_and_reaches_both_ends() {
    let mut rng = Rng::new(1);
    let (mut low, mut high) = (false, false);
    for _ in 0..10_000 {
        let x = rng.range(3, 7);
        assert!((3..=7).contains(&x));
        low |= x == 3;
        high |= x == 7;
    }
    assert!(low && high);
    assert_eq!(Rng::new(5).range(9, 9), 9);
    // The whole range of usize: the span does not overflow, and draws land in both halves.
    let mut rng = Rng::new(2);
    let draws: Vec<usize> = (0..1000).map(|_| rng.range(0, usize::MAX)).collect();
    assert!(draws.iter().any(|&x| x > usize::MAX / 2));
    assert!(draws.iter().any(|&x| x < usize::MAX / 2));
}

/// `one_in(n)` and `chance(100 / n)` are the same test of the same draw when `n` divides
/// 100: the generator's 1-in-10 choices can be written either way.
#[test]
fn one_in_ten_and_ten_percent_agree() {
    let (mut a, mut b) = (Rng::new(9), Rng::new(9));
    let mut hits = 0;
    for _ in 0..10_000 {
        let x = a.one_in(10);
        assert_eq!(x, b.chance(10));
        hits += usize::from(x);
    }
    assert!((800..1200).contains(&hits), "{hits} hits in 10,000");
}

#[test]
fn log_uniform_covers_every_power_of_two_in_its_range() {
    let mut rng = Rng::new(3);
    let mut seen = [false; 6];
    for _ in 0..10_000 {
        let x = rng.log_uniform(3, 9);
        assert!((8..512).contains(&x), "{x}");
        seen[x.ilog2() as usize - 3] = true;
    }
    assert!(seen.iter().all(|&s| s));
}

#[test]
fn the_same_seed_gives_the_same_sequence() {
    let (mut a, mut b) = (Rng::new(42), Rng::new(42));
    for _ in 0..100 {
        assert_eq!(a.next_u64(), b.next_u64());
    }
    assert_ne!(Rng::new(1).next_u64(), Rng::new(2).next_u64());
}
