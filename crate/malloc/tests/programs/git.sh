#!/usr/bin/env bash
# A git workload for the malloc test: commits a generated tree of a few thousand files three
# times, then prints the log, searches it, packs it (git gc) and checks it (git fsck). Names,
# e-mail addresses and dates are fixed, so commit ids and every line printed are the same on
# every run; sizes that depend on how git's threads happened to find deltas are left out.
#
#   bash git.sh TREE REPO    # TREE: the files to commit (only read); REPO: made afresh
set -euo pipefail

tree="$1"
repo="$2"

export GIT_AUTHOR_NAME="A. U. Thor" GIT_AUTHOR_EMAIL="author@example.invalid"
export GIT_COMMITTER_NAME="C. O. Mitter" GIT_COMMITTER_EMAIL="committer@example.invalid"
# Nothing from the user's or the system's configuration.
export GIT_CONFIG_NOSYSTEM=1 GIT_CONFIG_GLOBAL=/dev/null HOME="$repo"

git() {
    command git --git-dir="$repo/.git" --work-tree="$tree" \
        -c init.defaultBranch=main -c gc.autoDetach=false -c core.autocrlf=false "$@"
}

# Commits what is in the index, dated $1.
commit_at() {
    GIT_AUTHOR_DATE="$1" GIT_COMMITTER_DATE="$1" git commit -q -m "$2"
}

rm -rf "$repo"
mkdir -p "$repo"
git init -q
git add -A
commit_at "2024-01-01T10:00:00Z" "the whole tree"
git rm -r -q --cached dir03 dir17
commit_at "2024-01-02T10:00:00Z" "without dir03 and dir17"
git add -A
commit_at "2024-01-03T10:00:00Z" "dir03 and dir17 are back"

echo "--- log"
git log --shortstat --format='%H %an <%ae> %ad %s' --date=iso-strict
echo "--- grep"
git grep -c -e 'value' HEAD -- dir01 dir02 | sed -n '1,20p'
git grep -h -e 'line 7 ' HEAD | sort | uniq -c | sort -k1,1nr -k2 | sed -n '1,5p'
echo "--- gc"
git gc --quiet
git count-objects -v | grep -Ev '^size'
git fsck --full --strict --no-progress
echo "fsck: exit status $?"
echo "--- tree"
git ls-tree -r HEAD | wc -l
git ls-tree -r HEAD | sha256sum
git rev-list --all --objects | wc -l
