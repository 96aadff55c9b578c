#!/bin/sh
# install.sh — what `make install` and `make uninstall` run.
#
#   agent/dist/install.sh install | uninstall
#
# install puts kvpe's files under $DESTDIR (paths below are without it):
#   $BINDIR/kvpe                         the binary ($KVPE_BIN)
#   $MANDIR/man1/kvpe.1                  kvpe(1)
#   $BASHCOMPDIR/kvpe                    bash completion ($COMPLETION, generated)
#   $UNITDIR/*.service, *.timer          agent/deploy's units
#   $DATADIR/*                           agent/deploy's other files (alert rules)
#   $DOCDIR/README.md, LICENSE, examples/config.example.json
# The units and the man page name /usr/local paths; each is rewritten to the
# directory it is installed under, so ExecStart runs $BINDIR/kvpe.  Nothing
# goes to /etc: /etc/kvpe/config.json is the operator's (copy the example).
#
# A manifest ($DATADIR/installed-files) lists every file and every directory
# install created; uninstall removes exactly those (directories only when
# empty) and nothing else.  Installing again over an older install removes
# the files the older one listed that this one no longer ships.  NO_MANIFEST=1
# (make deb: dpkg keeps its own list) writes none.
set -eu

cd "$(dirname "$0")/../.."
: "${DESTDIR=}" "${PREFIX:=/usr/local}"
: "${BINDIR:=$PREFIX/bin}" "${MANDIR:=$PREFIX/share/man}" "${DATADIR:=$PREFIX/share/kvpe}"
: "${DOCDIR:=$PREFIX/share/doc/kvpe}" "${UNITDIR:=$PREFIX/lib/systemd/system}"
: "${BASHCOMPDIR:=$PREFIX/share/bash-completion/completions}"
: "${NO_MANIFEST:=}" "${KVPE_BIN:=build/release/kvpe}" "${COMPLETION:=build/release/kvpe.bash}"
MANIFEST=$DATADIR/installed-files

die() {
	echo "install.sh: $*" >&2
	exit 1
}

# Directories go into sed replacements and the manifest's lines.
for v in "$PREFIX" "$BINDIR" "$MANDIR" "$DATADIR" "$DOCDIR" "$UNITDIR" "$BASHCOMPDIR"; do
	case $v in
	/*) ;;
	*) die "'$v' is not an absolute path (PREFIX and the *DIR variables must be)" ;;
	esac
	case $v in
	*'#'* | *'&'* | *'\'* | *'
'*) die "'$v': # & \\ and newlines are not supported in install paths" ;;
	esac
done

TMP=$(mktemp -d "${TMPDIR:-/tmp}/kvpe-install.XXXXXX")
trap 'rm -rf "$TMP"' EXIT
NEW=$TMP/manifest

# mkdirs DIR: creates DIR and its missing parents, each one recorded.
mkdirs() {
	d=$1
	todo=
	while [ "$d" != / ] && [ ! -d "$DESTDIR$d" ]; do
		todo="$d
$todo"
		d=$(dirname "$d")
	done
	printf '%s' "$todo" | while IFS= read -r d; do
		[ -n "$d" ] || continue
		mkdir -m 0755 "$DESTDIR$d"
		echo "d $d" >>"$NEW"
	done
}

# put MODE SRC DEST: installs one file, recorded.
put() {
	mkdirs "$(dirname "$3")"
	install -m "$1" "$2" "$DESTDIR$3"
	echo "f $3" >>"$NEW"
	echo "  INSTALL $3"
}

# The /usr/local paths the shipped files name, moved to where they are installed.
rewrite() {
	sed -e "s#/usr/local/bin/kvpe#$BINDIR/kvpe#g" \
		-e "s#/usr/local/share/doc/kvpe#$DOCDIR#g" \
		-e "s#/usr/local/share/kvpe#$DATADIR#g" \
		-e "s#/usr/local/lib/systemd/system#$UNITDIR#g" \
		-e "s#/usr/local/share/bash-completion/completions#$BASHCOMPDIR#g" \
		"$1" >"$TMP/$(basename "$1")"
	echo "$TMP/$(basename "$1")"
}

do_install() {
	[ -x "$KVPE_BIN" ] || die "$KVPE_BIN not built (run make first)"
	[ -s "$COMPLETION" ] || die "$COMPLETION not generated (run make build first)"
	[ -n "$DESTDIR" ] && mkdir -p "$DESTDIR"
	: >"$NEW"
	# Directories an earlier install created stay recorded as its.
	if [ -z "$NO_MANIFEST" ] && [ -f "$DESTDIR$MANIFEST" ]; then
		grep '^d /' "$DESTDIR$MANIFEST" | while IFS= read -r l; do
			[ -d "$DESTDIR${l#d }" ] && echo "$l" >>"$NEW"
		done
	fi
	put 0755 "$KVPE_BIN" "$BINDIR/kvpe"
	put 0644 "$(rewrite agent/dist/kvpe.1)" "$MANDIR/man1/kvpe.1"
	put 0644 "$COMPLETION" "$BASHCOMPDIR/kvpe"
	for f in agent/deploy/*; do
		b=$(basename "$f")
		case $b in
		*.service | *.timer) put 0644 "$(rewrite "$f")" "$UNITDIR/$b" ;;
		config.example.json) put 0644 "$f" "$DOCDIR/examples/$b" ;;
		*) put 0644 "$f" "$DATADIR/$b" ;;
		esac
	done
	put 0644 README.md "$DOCDIR/README.md"
	put 0644 LICENSE "$DOCDIR/LICENSE"
	[ -n "$NO_MANIFEST" ] && return 0
	mkdirs "$(dirname "$MANIFEST")"
	echo "f $MANIFEST" >>"$NEW"
	# What an older install put and this one does not ship.
	if [ -f "$DESTDIR$MANIFEST" ]; then
		grep '^f /' "$DESTDIR$MANIFEST" | while IFS= read -r l; do
			grep -qxF "$l" "$NEW" && continue
			rm -f "$DESTDIR${l#f }"
			echo "  RM      ${l#f } (no longer shipped)"
		done
	fi
	install -m 0644 "$NEW" "$DESTDIR$MANIFEST"
	echo "  INSTALL $MANIFEST (what make uninstall removes)"
}

do_uninstall() {
	[ -f "$DESTDIR$MANIFEST" ] ||
		die "no $DESTDIR$MANIFEST: nothing was installed with PREFIX=$PREFIX${DESTDIR:+ DESTDIR=$DESTDIR} (give the same PREFIX, DATADIR and DESTDIR as make install)"
	cp "$DESTDIR$MANIFEST" "$TMP/old"
	# Files first, then the directories install created, deepest first.
	while IFS= read -r l; do
		p=${l#? }
		case $p in
		/*/../* | /*/.. | /../* | *'
'*) echo "  SKIP    $p (not a plain path)" >&2; continue ;;
		/*) ;;
		*) echo "  SKIP    $p (not absolute)" >&2; continue ;;
		esac
		case $l in
		"f "*)
			if [ -e "$DESTDIR$p" ] || [ -L "$DESTDIR$p" ]; then
				rm -f "$DESTDIR$p"
				echo "  RM      $p"
			fi
			;;
		esac
	done <"$TMP/old"
	grep '^d /' "$TMP/old" | sed 's/^d //' | sort -r | while IFS= read -r p; do
		[ -d "$DESTDIR$p" ] || continue
		if rmdir "$DESTDIR$p" 2>/dev/null; then
			echo "  RMDIR   $p"
		else
			echo "  KEEP    $p (not empty: holds files kvpe did not install)"
		fi
	done
}

case ${1:-} in
install) do_install ;;
uninstall) do_uninstall ;;
*) die "usage: install.sh install|uninstall" ;;
esac
