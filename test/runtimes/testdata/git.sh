# git.sh: git in a fresh repository below the working directory, with
# author, committer, dates and HOME fixed by the caller and here, so that
# hashes are the same every run: ten commits and a removal, then log,
# gc --aggressive, fsck and count-objects.
set -eu
export HOME="$PWD/home"
mkdir -p "$HOME" repo
cd repo
git init -q -b main .
for i in 1 2 3 4 5 6 7 8 9 10; do
	seq "$i" 1000 > "f$i"
	git add "f$i"
	git commit -q -m "commit $i"
done
git rm -q f3
git commit -q -m "remove f3"
git log --format='%H %an <%ae> %cn %ad %s' --stat
git gc -q --aggressive
git fsck --full --strict --no-progress
git count-objects -v
git rev-parse HEAD^{tree}
