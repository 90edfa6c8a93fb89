#!/bin/sh
# Installs docker-credential-codespaces at image build (root, no secrets, no build tools). Options arrive as
# VERSION, REGISTRY, CONTAINERSAUTH, INSTALLMODE. Every download is checked against the SHA-256
# pinned in checksums.txt beside this script before anything is unpacked.
set -eu

NAME=docker-credential-codespaces
MIN_NODE=20
BIN_DIR=/usr/local/bin
SHARE_DIR=/usr/local/share/$NAME
LIB_DIR=/usr/local/lib/$NAME
HERE=$(cd "$(dirname "$0")" && pwd)
VERSION=${VERSION:-0.1.0}
REGISTRY=${REGISTRY:-https://registry.npmjs.org}
CONTAINERSAUTH=${CONTAINERSAUTH:-false}
INSTALLMODE=${INSTALLMODE:-auto}

fail() {
  echo "$NAME feature: $*" >&2
  exit 1
}

case $VERSION in
  *[!0-9A-Za-z.+-]* | "" | [!0-9]*) fail "version '$VERSION' is not a version number (e.g. 0.1.0)" ;;
esac
case $REGISTRY in
  http://* | https://*) REGISTRY=${REGISTRY%/} ;;
  *) fail "registry '$REGISTRY' is not an http(s) URL" ;;
esac
case $CONTAINERSAUTH in true | false) ;; *) fail "containersAuth must be true or false, not '$CONTAINERSAUTH'" ;; esac

# The Node major on PATH, or 0.
node_major() {
  major=$(node -e 'process.stdout.write(process.versions.node.split(".")[0])' 2>/dev/null) || major=0
  case $major in "" | *[!0-9]*) major=0 ;; esac
  echo "$major"
}

is_musl() {
  for loader in /lib/ld-musl-*; do [ -e "$loader" ] && return 0; done
  ldd --version 2>&1 | grep -qi musl
}

has_node() { [ "$(node_major)" -ge "$MIN_NODE" ]; }

case $INSTALLMODE in
  auto) if has_node; then mode=npm; else mode=executable; fi ;;
  npm)
    has_node || fail "installMode npm needs Node >= $MIN_NODE on PATH (found major $(node_major)); install Node first or use installMode executable"
    mode=npm
    ;;
  executable) mode=executable ;;
  *) fail "installMode must be auto, npm or executable, not '$INSTALLMODE'" ;;
esac

if [ "$mode" = executable ]; then
  if is_musl; then
    fail "this is a musl libc system (e.g. Alpine) and the executable needs glibc; install Node >= $MIN_NODE (apk add nodejs) before this Feature to get the npm bundle"
  fi
  machine=$(uname -m)
  case $machine in
    x86_64 | amd64) arch=x64 ;;
    aarch64 | arm64) arch=arm64 ;;
    *) fail "no executable for architecture $machine (only x86_64 and aarch64); install Node >= $MIN_NODE before this Feature to get the npm bundle" ;;
  esac
  package=$NAME-linux-$arch
else
  package=$NAME
fi
tarball=$package-$VERSION.tgz
url=$REGISTRY/$package/-/$tarball

pinned=$(awk -v f="$tarball" '$2 == f { print $1 }' "$HERE/checksums.txt")
[ -n "$pinned" ] || fail "this Feature pins no SHA-256 for $tarball; choose a version it knows ($(awk '{ print $2 }' "$HERE/checksums.txt" | sed -n "s/^$NAME-\(linux-[a-z0-9]*-\)\{0,1\}\(.*\)\.tgz$/\2/p" | sort -u | tr '\n' ' '| sed 's/ $//')) or update the Feature"

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

# Downloads $url to $work/$tarball; a failure says which (404, other HTTP status, no client).
if command -v curl >/dev/null 2>&1; then
  status=$(curl -sSL --retry 2 -o "$work/$tarball" -w '%{http_code}' "$url" 2>"$work/err") || status=${status:-000}
  case $status in
    200) ;;
    404) fail "$url: 404 not found; is version $VERSION published on registry $REGISTRY?" ;;
    000) fail "download of $url failed: $(head -n 1 "$work/err")" ;;
    *) fail "download of $url failed: HTTP $status" ;;
  esac
elif command -v wget >/dev/null 2>&1; then
  # -S (server response, in GNU wget and busybox) so that the status can be told; no -q, which hides it.
  if ! wget -S -O "$work/$tarball" "$url" 2>"$work/err"; then
    if grep -q ' 404' "$work/err"; then fail "$url: 404 not found; is version $VERSION published on registry $REGISTRY?"; fi
    fail "download of $url failed: $(grep -m 1 'HTTP/\|wget:' "$work/err" || echo 'wget error')"
  fi
else
  fail "neither curl nor wget is installed; add one before this Feature (e.g. apt-get install -y curl)"
fi

actual=$(sha256sum "$work/$tarball" | awk '{ print $1 }')
[ "$actual" = "$pinned" ] || fail "SHA-256 mismatch for $url: got $actual, this Feature pins $pinned; refusing to install"

if [ "$mode" = npm ]; then
  # The package has no dependencies: unpacking it is all `npm i -g` would do, and works without
  # npm (Alpine's nodejs). The command runs the node found now, so a user or a process whose PATH
  # lacks node (sudo, docker's own calls) still gets it.
  node=$(command -v node)
  tar -xzf "$work/$tarball" -C "$work" package || fail "cannot unpack $tarball"
  rm -rf "$LIB_DIR"
  mkdir -p "$(dirname "$LIB_DIR")"
  mv "$work/package" "$LIB_DIR"
  printf '#!/bin/sh\nexec %s %s "$@"\n' "'$node'" "'$LIB_DIR/dist/main.js'" >"$BIN_DIR/$NAME.new"
  chmod 0755 "$BIN_DIR/$NAME.new"
  mv -f "$BIN_DIR/$NAME.new" "$BIN_DIR/$NAME"
else
  tar -xzf "$work/$tarball" -C "$work" package/bin/$NAME || fail "$tarball has no package/bin/$NAME"
  cp "$work/package/bin/$NAME" "$BIN_DIR/$NAME.new"
  chmod 0755 "$BIN_DIR/$NAME.new"
  mv -f "$BIN_DIR/$NAME.new" "$BIN_DIR/$NAME"
fi

"$BIN_DIR/$NAME" version >/dev/null 2>&1 || fail "the installed $BIN_DIR/$NAME does not run"

# The start hook (postStartCommand): runs as the remote user on every start.
mkdir -p "$SHARE_DIR"
configure_args=""
if [ "$CONTAINERSAUTH" = true ]; then configure_args=" --containers-auth"; fi
sed "s|@CONFIGURE_ARGS@|$configure_args|" "$HERE/post-start.sh" >"$SHARE_DIR/post-start.sh"
chmod 0755 "$SHARE_DIR/post-start.sh"

echo "$NAME feature: installed $NAME $VERSION ($mode) as $BIN_DIR/$NAME"
