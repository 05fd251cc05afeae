#!/bin/bash
# netcrypt-keygen: key files, modes, fingerprints checked against
# openssl(1), refusals, no-overwrite, and -A as ExecStartPre= runs it.
# Exit 0 pass, 77 skip, 1 fail (automake TESTS).
set -eu

KEYGEN=${top_builddir:-.}/netcrypt-keygen
if [ ! -x "$KEYGEN" ]; then
	echo "SKIP: $KEYGEN not built"
	exit 77
fi
if ! command -v openssl >/dev/null 2>&1; then
	echo "SKIP: openssl(1) not found"
	exit 77
fi

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

pass=0
fail=0
ok() { pass=$((pass + 1)); echo "ok - $1"; }
not_ok() { fail=$((fail + 1)); echo "not ok - $1"; }
check() {
	local desc=$1
	shift
	if "$@"; then ok "$desc"; else not_ok "$desc"; fi
}

# Every run is bounded, so a hung key generation fails instead of
# hanging make check.
if command -v timeout >/dev/null 2>&1; then
	kg() { timeout 300 "$KEYGEN" "$@"; }
else
	kg() { "$KEYGEN" "$@"; }
fi

# Run the tool expecting failure: sets rc, stdout in $out, stderr in $err.
run() {
	rc=0
	kg "$@" >"$tmp/out" 2>"$tmp/err" || rc=$?
	out=$(cat "$tmp/out")
	err=$(cat "$tmp/err")
}

mode_of() { stat -c %a "$1" 2>/dev/null || :; }
sum_of() { cksum <"$1" 2>/dev/null || echo missing; }
openssl_fp() {
	printf 'SHA256:%s' "$(openssl pkey -in "$1" -pubout -outform DER |
	    openssl dgst -sha256 -binary | openssl base64 -A | tr -d =)"
}
is_empty_dir() { [ -z "$(ls -A "$1")" ]; }
no_temp_files() { [ -z "$(find "$tmp" -name '*.tmp.*' -print)" ]; }

# ---- -f FILE ----------------------------------------------------------
k=$tmp/k
run -b 2048 -f "$k"
check "-f exits 0" [ "$rc" -eq 0 ]
check "-f writes nothing to stderr" [ -z "$err" ]
check "-f creates FILE" [ -f "$k" ]
check "-f creates FILE.pub" [ -f "$k.pub" ]
check "private key has mode 600" [ "$(mode_of "$k")" = 600 ]
check "public key has mode 644" [ "$(mode_of "$k.pub")" = 644 ]
check "private key is PKCS#8 PEM" \
    [ "$(head -n 1 "$k")" = "-----BEGIN PRIVATE KEY-----" ]
check "public key is SPKI PEM" \
    [ "$(head -n 1 "$k.pub")" = "-----BEGIN PUBLIC KEY-----" ]
check "openssl reads the private key" openssl pkey -in "$k" -noout
check "openssl reads the public key" \
    openssl pkey -pubin -in "$k.pub" -noout
check "private key is 2048 bits" \
    bash -c 'openssl pkey -in "$1" -text -noout | grep -q "2048 bit"' _ "$k"
check "public key matches the private key" \
    [ "$(openssl pkey -in "$k" -pubout)" = "$(cat "$k.pub")" ]

fp=$(openssl_fp "$k")
check "openssl fingerprint has the expected shape" \
    bash -c '[[ $1 =~ ^SHA256:[A-Za-z0-9+/]{43}$ ]]' _ "$fp"
check "prints 'BITS FINGERPRINT FILE (RSA)' with openssl's fingerprint" \
    [ "$out" = "2048 $fp $k (RSA)" ]

run -l -f "$k"
check "-l on the private key prints the same size and fingerprint" \
    [ "$rc" -eq 0 -a "$out" = "2048 $fp $k (RSA)" ]
run -l -f "$k.pub"
check "-l on the public key prints the same size and fingerprint" \
    [ "$rc" -eq 0 -a "$out" = "2048 $fp $k.pub (RSA)" ]
echo "not a key" >"$tmp/notakey"
run -l -f "$tmp/notakey"
check "-l on a file that is no key fails" [ "$rc" -eq 1 ]

# ---- never overwrite --------------------------------------------------
sum_priv=$(sum_of "$k")
sum_pub=$(sum_of "$k.pub")
run -b 2048 -f "$k"
check "second run on the same FILE exits 1" [ "$rc" -eq 1 ]
check "it says the file exists" \
    bash -c '[[ $1 == "netcrypt-keygen: "*"already exists"* ]]' _ "$err"
check "it leaves FILE unchanged" [ "$(sum_of "$k")" = "$sum_priv" ]
check "it leaves FILE.pub unchanged" [ "$(sum_of "$k.pub")" = "$sum_pub" ]

mkdir "$tmp/halfway"
: >"$tmp/halfway/y.pub"
run -b 2048 -f "$tmp/halfway/y"
check "an existing FILE.pub makes it fail" [ "$rc" -eq 1 ]
check "and no private key is left behind" [ ! -e "$tmp/halfway/y" ]
check "and FILE.pub is untouched" [ ! -s "$tmp/halfway/y.pub" ]

# ---- -o DIR -----------------------------------------------------------
mkdir "$tmp/outdir"
run -b 2048 -o "$tmp/outdir"
check "-o exits 0" [ "$rc" -eq 0 ]
check "-o writes DIR/private.pem with mode 600" \
    [ -f "$tmp/outdir/private.pem" -a \
    "$(mode_of "$tmp/outdir/private.pem")" = 600 ]
check "-o writes DIR/public.pem" [ -f "$tmp/outdir/public.pem" ]
check "openssl reads DIR/private.pem" \
    openssl pkey -in "$tmp/outdir/private.pem" -noout
fp_o=$(openssl_fp "$tmp/outdir/private.pem")
check "-o prints the fingerprint of DIR/private.pem" \
    [ "$out" = "2048 $fp_o $tmp/outdir/private.pem (RSA)" ]
run -l -f "$tmp/outdir/public.pem"
check "DIR/public.pem belongs to DIR/private.pem" \
    [ "$out" = "2048 $fp_o $tmp/outdir/public.pem (RSA)" ]
check "-o into a missing directory fails" \
    bash -c '! "$1" -b 2048 -o "$2" 2>/dev/null' _ "$KEYGEN" "$tmp/nodir"

# ---- refusals: exit 1, a reason, nothing created ----------------------
mkdir "$tmp/refused"
run -b 1024 -f "$tmp/refused/x"
check "-b 1024 exits 1" [ "$rc" -eq 1 ]
check "-b 1024 says why and names 2048" \
    bash -c '[[ $1 == "netcrypt-keygen: "*2048* ]]' _ "$err"
run -b 20000 -f "$tmp/refused/x"
check "-b 20000 exits 1" [ "$rc" -eq 1 -a -n "$err" ]
run -b abc -f "$tmp/refused/x"
check "-b abc exits 1" [ "$rc" -eq 1 -a -n "$err" ]
run -t ecdsa -b 2048 -f "$tmp/refused/x"
check "-t ecdsa exits 1" [ "$rc" -eq 1 ]
check "-t ecdsa says only RSA keys can be used" \
    bash -c '[[ $1 == *RSA* ]]' _ "$err"
run -t ed25519 -f "$tmp/refused/x"
check "-t ed25519 exits 1" [ "$rc" -eq 1 ]
run -b 2048 -f "$tmp/refused/x" extra
check "an extra argument is a usage error" \
    bash -c '[ "$1" -eq 1 ] && [[ $2 == usage:* ]]' _ "$rc" "$err"
run
check "no arguments is a usage error" \
    bash -c '[ "$1" -eq 1 ] && [[ $2 == usage:* ]]' _ "$rc" "$err"
run -b 2048 -f "$tmp/refused/x" -o "$tmp/refused"
check "-f with -o is a usage error" [ "$rc" -eq 1 ]
check "refused runs create nothing" is_empty_dir "$tmp/refused"

# ---- -t rsa, -q and the default size ----------------------------------
run -q -t rsa -f "$tmp/default"
check "-q -t rsa exits 0 and prints nothing" \
    [ "$rc" -eq 0 -a -z "$out" -a -z "$err" ]
check "the default size is 3072 bits" \
    bash -c 'openssl pkey -in "$1" -text -noout | grep -q "3072 bit"' \
    _ "$tmp/default"

# ---- -A ---------------------------------------------------------------
mkdir "$tmp/host"
conf=$tmp/netcryptd.conf
cat >"$conf" <<EOF
private key "$tmp/host/host.pem"
user "nobody"
chroot "/var/empty"
EOF
run -A -c "$conf" -b 2048
check "-A creates the missing host key (exit 0)" [ "$rc" -eq 0 ]
check "-A writes the private key with mode 600" \
    [ -f "$tmp/host/host.pem" -a "$(mode_of "$tmp/host/host.pem")" = 600 ]
check "-A writes PATH.pub" [ -f "$tmp/host/host.pem.pub" ]
check "-A key is a 2048-bit key openssl reads" \
    bash -c 'openssl pkey -in "$1" -text -noout | grep -q "2048 bit"' \
    _ "$tmp/host/host.pem"
if [ -f "$tmp/host/host.pem" ]; then
	fp_a=$(openssl_fp "$tmp/host/host.pem")
	check "-A prints the new key's fingerprint" \
	    [ "$out" = "2048 $fp_a $tmp/host/host.pem (RSA)" ]
	sum_a=$(sum_of "$tmp/host/host.pem")
	sum_apub=$(sum_of "$tmp/host/host.pem.pub")
	run -A -c "$conf" -b 2048
	check "second -A exits 0" [ "$rc" -eq 0 ]
	check "second -A is silent" [ -z "$out" -a -z "$err" ]
	check "second -A leaves the key unchanged" \
	    [ "$(sum_of "$tmp/host/host.pem")" = "$sum_a" ]
	check "second -A leaves PATH.pub unchanged" \
	    [ "$(sum_of "$tmp/host/host.pem.pub")" = "$sum_apub" ]
else
	not_ok "-A host key missing: later -A checks not run"
fi
run -A -c "$tmp/no-such.conf" -b 2048
check "-A with a missing configuration file fails" [ "$rc" -eq 1 ]

check "no temporary file is left anywhere" no_temp_files

echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
