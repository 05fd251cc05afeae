#!/bin/bash
# netcryptd under a real systemd: a Debian 12 root made by debootstrap
# (cached in /var/tmp/netcryptd-nspawn-root, or $NETCRYPTD_NSPAWN_ROOT),
# an overlay on it with this build installed (make install DESTDIR=...),
# booted with systemd-nspawn on a private network (loopback only).
#
# Inside, a test unit (nc-test.service, the script below) drives two
# daemons through systemctl: netcryptd.service as installed and a copy
# of it for a second daemon it links with.  It checks the sysusers and
# tmpfiles files took effect at boot, "systemd-analyze verify", start
# with Type=notify (READY=1, STATUS=), the watchdog, "systemctl reload"
# keeping the link (and refusing a broken configuration), a restart
# after "kill -9" of a child, "systemctl stop", and the journal.  It
# writes its results to a file and powers the container off; this
# script reports them.
#
# Skipped, saying why, without root, systemd-nspawn or debootstrap, in
# a sanitizer build, when installed where the unit's PrivateTmp= or
# ProtectHome= hide the files from the service (a prefix under /tmp or
# $HOME), when the Debian archive cannot be reached, or when the
# container does not boot at all.  Bounded: debootstrap 300 s (once),
# the container 200 s.
. "$top_srcdir/tests/integration/lib.sh"

[ "$(id -u)" -eq 0 ] || skip "needs root (debootstrap, systemd-nspawn)"
command -v systemd-nspawn >/dev/null ||
	skip "no systemd-nspawn (Debian package systemd-container)"
command -v debootstrap >/dev/null || skip "no debootstrap (Debian package debootstrap)"
# The unit's system call filter is for the real programs: the sanitizers'
# runtime needs more (LeakSanitizer's ptrace), and the plain build runs this.
grep -q '^#define NC_SANITIZERS 1' "$top_builddir/config.h" &&
	skip "sanitizer build: the systemd test runs with the plain build"

unset MAKEFLAGS MFLAGS MAKELEVEL
for v in bindir sbindir sysconfdir runstatedir systemdsystemunitdir \
    sysusersdir tmpfilesdir NC_USER NC_CHROOT NC_SPOOL_DIR; do
	printf -v "$v" '%s' "$(make_var "$v")"
done
# Directories systemd reads (on Debian /lib is /usr/lib).
case "$systemdsystemunitdir" in
/lib/systemd/system|/usr/lib/systemd/system|/usr/local/lib/systemd/system|/etc/systemd/system) ;;
*) skip "configured with the unit directory \"$systemdsystemunitdir\", which systemd does not read (distcheck?)" ;;
esac
case "$sysusersdir:$tmpfilesdir" in
/usr/lib/sysusers.d:/usr/lib/tmpfiles.d|/lib/sysusers.d:/lib/tmpfiles.d|/usr/local/lib/sysusers.d:/usr/local/lib/tmpfiles.d) ;;
*) skip "configured with sysusers/tmpfiles directories \"$sysusersdir\", \"$tmpfilesdir\" that systemd does not read" ;;
esac

# The unit's PrivateTmp= gives the service a /tmp and /var/tmp of its own
# and ProtectHome= hides /home, /root and /run/user: installed under one
# of them (./configure --prefix=$HOME/.local), the programs, configuration
# or chroot the unit names are not there for the service.
unit_setting() {	# the last NAME= line of the unit, as configured
	sed -n "s/^$1=//p" "$top_srcdir/contrib/netcryptd.service.in" | tail -n 1
}
hidden_by() {	# directory: the unit setting that hides it, if one does
	local v
	case "$1/" in
	/tmp/*|/var/tmp/*) v=$(unit_setting PrivateTmp)
		case "$v" in yes|true|on|1) echo "PrivateTmp=$v" ;; esac ;;
	/home/*|/root/*|/run/user/*) v=$(unit_setting ProtectHome)
		case "$v" in yes|true|on|1|tmpfs) echo "ProtectHome=$v" ;; esac ;;
	esac
}
prefix=$(make_var prefix)
for v in sbindir bindir sysconfdir runstatedir NC_CHROOT NC_SPOOL_DIR; do
	setting=$(hidden_by "${!v}")
	[ -z "$setting" ] || skip "configured with the prefix \"$prefix\":" \
	    "$v \"${!v}\" is hidden from the service by the unit's $setting" \
	    "(configure with a prefix outside /tmp, /var/tmp, /home, /root" \
	    "and /run/user to run this test)"
done

CACHE=${NETCRYPTD_NSPAWN_ROOT:-/var/tmp/netcryptd-nspawn-root}
PKGS=systemd,systemd-sysv,procps,jq,libssl3,libevent-2.1-7,libseccomp2
STAMP=.netcryptd-test-root
ROOT=$T_DIR/root
NSPAWN_PID=
MOUNTED=

sd_cleanup() {
	if [ -n "$NSPAWN_PID" ] && kill -0 "$NSPAWN_PID" 2>/dev/null; then
		# SIGTERM: nspawn shuts the container down in order.
		kill -TERM "$NSPAWN_PID" 2>/dev/null
		t_wait_gone "$NSPAWN_PID" 150 || kill -KILL "$NSPAWN_PID" 2>/dev/null
		t_wait_gone "$NSPAWN_PID" 50
	fi
	if [ -n "$MOUNTED" ]; then
		umount "$ROOT" 2>/dev/null || umount -l "$ROOT"
	fi
	t_cleanup
}
trap sd_cleanup EXIT

# Undo what an interrupted debootstrap left mounted under $1.
umount_under() {
	local m
	for m in $(awk -v p="$1/" 'index($2, p) == 1 { print $2 }' /proc/mounts | sort -r); do
		umount -l "$m" 2>/dev/null
	done
}

# The Debian 12 archive apt is configured with (no host named here).
debian_mirror() {
	apt-get indextargets --format '$(REPO_URI) $(RELEASE) $(COMPONENT)' \
		2>/dev/null | awk '$2 == "bookworm" && $3 == "main" { print $1; exit }'
}

build_root() {
	local mirror tmp
	mirror=$(debian_mirror)
	[ -n "$mirror" ] || skip "apt's sources name no Debian bookworm main archive"
	tmp=$(mktemp -d "$CACHE.new.XXXXXX") || return 1
	echo "building the container root from $mirror (about 80 s, once)"
	if ! timeout 300 debootstrap --variant=minbase --include="$PKGS" \
	    bookworm "$tmp" "$mirror" > "$T_DIR/debootstrap.log" 2>&1; then
		tail -n 5 "$T_DIR/debootstrap.log"
		umount_under "$tmp"
		rm -rf --one-file-system "$tmp"
		skip "debootstrap failed (no network to the Debian archive?)"
	fi
	echo "$PKGS" > "$tmp/$STAMP"
	rm -rf --one-file-system "$CACHE"
	mv "$tmp" "$CACHE"
}

# One builder at a time; a root made for another package list is remade.
exec 8> "$CACHE.lock"
flock -w 400 8 || skip "$CACHE.lock: held by another run for 400 s"
if [ "$(cat "$CACHE/$STAMP" 2>/dev/null)" != "$PKGS" ]; then
	build_root
else
	echo "reusing the container root $CACHE"
fi
flock -s 8	# others may boot it too, none may rebuild it

mkdir -p "$T_DIR/upper" "$T_DIR/work" "$ROOT"
if mount -t overlay overlay -o \
    "lowerdir=$CACHE,upperdir=$T_DIR/upper,workdir=$T_DIR/work" "$ROOT" \
    2>/dev/null; then
	MOUNTED=1
else
	echo "no overlayfs here: copying the root"
	cp -a "$CACHE/." "$ROOT/" || exit 1
fi

install_build() {
	make -C "$top_builddir" install DESTDIR="$ROOT" > "$T_DIR/install.log" 2>&1
}
check "make install DESTDIR=<container root>" install_build
[ "$T_FAILED" -eq 0 ] || { tail -n 20 "$T_DIR/install.log"; t_done; }

# ---- the test that runs inside -------------------------------------
mkdir -p "$ROOT/nc-test"
cat > "$ROOT/nc-test/vars" <<EOF
BIN='$bindir'
SBIN='$sbindir'
ETC='$sysconfdir'
RUN='$runstatedir'
UNITDIR='$systemdsystemunitdir'
NC_USER='$NC_USER'
NC_CHROOT='$NC_CHROOT'
NC_SPOOL_DIR='$NC_SPOOL_DIR'
EOF
cat > "$ROOT/nc-test/run.sh" <<'EOF'
#!/bin/bash
# Runs as nc-test.service inside the container; results in /nc-test/results.
set -u
. /nc-test/vars
exec 3>> /nc-test/results
exec >> /nc-test/trace 2>&1
echo booted >&3
P=0 F=0
ok() { P=$((P + 1)); echo "ok: $*" >&3; }
not_ok() { F=$((F + 1)); echo "FAIL: $*" >&3; }
check() {
	local what=$1; shift
	echo "== $what"
	if "$@"; then ok "$what"; else not_ok "$what"; fi
}
wait_for() {	# tenths command...
	local n=$1 i; shift
	for i in $(seq 1 "$n"); do
		"$@" && return 0
		sleep 0.1
	done
	return 1
}
prop() { systemctl show -p "$2" --value "$1"; }
is() { [ "$(prop "$1" "$2")" = "$3" ]; }
not() { ! "$@"; }
A_CTL=$RUN/netcryptd/control.sock
B_CTL=/run/netcryptd-b/control.sock
B_SPOOL=/var/spool/netcryptd-b
peer() {	# peer SOCKET PEER FIELD
	"$SBIN/netcryptctl" -s "$1" show --json 2>/dev/null |
		jq -r --arg p "$2" '.peers[] | select(.name == $p) | .'"$3"
}
daemon() { "$SBIN/netcryptctl" -s "$1" show --json 2>/dev/null | jq -r ".daemon.$2"; }
linked() { [ "$(peer "$A_CTL" hostb state)" = up ] && [ "$(peer "$B_CTL" hosta state)" = up ]; }
# The child of the unit's main process titled "netcryptd: $2".
child_of() {
	local main pid
	main=$(prop "$1" MainPID)
	for pid in $(pgrep -P "$main"); do
		if tr '\0' ' ' < "/proc/$pid/cmdline" | grep -q "^netcryptd: $2"; then
			echo "$pid"
			return 0
		fi
	done
	return 1
}
journal_has() { journalctl -u "$1" -o cat --no-pager | grep -q "$2"; }
warnings_have() { journalctl -u "$1" -p warning -o cat --no-pager | grep -q "$2"; }
count_in_journal() { journalctl -u "$1" -o cat --no-pager | grep -c "$2"; }

# -- boot: sysusers.d and tmpfiles.d files applied, the unit valid.
check "sysusers.d: user $NC_USER exists" getent passwd "$NC_USER"
check "sysusers.d: group netcrypt exists" getent group netcrypt
check "tmpfiles.d: $NC_CHROOT is root's, 0755" \
	test "$(stat -c '%U %a' "$NC_CHROOT")" = "root 755"
check "tmpfiles.d: $ETC/netcryptd is root's, 0700" \
	test "$(stat -c '%U %a' "$ETC/netcryptd")" = "root 700"
check "tmpfiles.d: $NC_SPOOL_DIR is $NC_USER's, 0700" \
	test "$(stat -c '%U %a' "$NC_SPOOL_DIR")" = "$NC_USER 700"
verify_clean() {
	systemd-analyze verify --man=no netcryptd.service > /nc-test/verify 2>&1 &&
		[ ! -s /nc-test/verify ]
}
check "systemd-analyze verify netcryptd.service says nothing" verify_clean
cat /nc-test/verify

# -- two daemons: hosta under the installed unit, hostb under a copy.
# The session socket's group needs CAP_CHOWN in the unit.
cat > "$ETC/netcryptd.conf" <<CONF
name "hosta"
listen on 127.0.0.1 port 55555
session socket "$RUN/netcryptd/session.sock" group "netcrypt"
peer "hostb" {
	public key "$ETC/netcryptd/hostb.pem.pub"
}
CONF
cat > "$ETC/netcryptd-b.conf" <<CONF
name "hostb"
listen on 127.0.0.1 port 55556
private key "$ETC/netcryptd/hostb.pem"
session socket "/run/netcryptd-b/session.sock"
control socket "$B_CTL"
spool { directory "$B_SPOOL" }
peer "hosta" {
	connect to 127.0.0.1 port 55555
	public key "$ETC/netcryptd/private.pem.pub"
}
CONF
"$BIN/netcrypt-keygen" -q -b 2048 -f "$ETC/netcryptd/hostb.pem"
# hostb's spool: made as tmpfiles.d makes hosta's, writable in its unit.
install -d -m 0700 -o "$NC_USER" -g "$(id -gn "$NC_USER")" "$B_SPOOL"
sed -e "s|^ExecStart=.*netcryptd -d\$|& -f $ETC/netcryptd-b.conf|" \
    -e "s|^ExecStartPre=.*netcrypt-keygen -A\$|& -b 2048 -c $ETC/netcryptd-b.conf|" \
    -e "s|^ExecReload=.*netcryptd -n\$|& -f $ETC/netcryptd-b.conf|" \
    -e "s|^RuntimeDirectory=netcryptd\$|RuntimeDirectory=netcryptd-b|" \
    -e "s|^ReadWritePaths=-$NC_SPOOL_DIR\$|ReadWritePaths=-$B_SPOOL|" \
    -e "s|^WatchdogSec=.*|WatchdogSec=3s|" \
    "$UNITDIR/netcryptd.service" > /etc/systemd/system/netcryptd-b.service
systemctl daemon-reload

check "no host key before the first start" not test -e "$ETC/netcryptd/private.pem"
# Type=notify: start returns once READY=1 came (else after 90 s, failed).
check "systemctl start netcryptd" timeout 100 systemctl start netcryptd
check "ExecStartPre (netcrypt-keygen -A) made the host key, 0600" \
	test "$(stat -c '%U %a' "$ETC/netcryptd/private.pem")" = "root 600"
check "... and its public key, 0644" \
	test "$(stat -c '%U %a' "$ETC/netcryptd/private.pem.pub")" = "root 644"
check "netcryptd is active (running)" is netcryptd SubState running
check "the session socket has group netcrypt, mode 0660" \
	test "$(stat -c '%G %a' "$RUN/netcryptd/session.sock")" = "netcrypt 660"
check "READY=1 came with STATUS=Running" is netcryptd StatusText Running
check "the journal has the daemon's start line" \
	journal_has netcryptd "started: key-holder [0-9]*, spool [0-9]*, network"
sp=$(child_of netcryptd spool)
check "the spool child runs in $NC_SPOOL_DIR" \
	test -n "$sp" -a "$(readlink "/proc/$sp/root")" = "$NC_SPOOL_DIR"
# LimitNOFILE=65536, or what systemd could set under a container's own
# hard limit: soft = hard, logged, and the defaults fit (nothing lowered).
nofile=$(awk '/^Max open files/ { print $4, $5 }' "/proc/$(prop netcryptd MainPID)/limits")
check "LimitNOFILE: soft = hard ($nofile)" test "${nofile% *}" = "${nofile#* }"
check "... and the master logs it" \
	journal_has netcryptd "descriptor limit ${nofile% *} (RLIMIT_NOFILE"
check "... and max sessions is not lowered" \
	not warnings_have netcryptd "lowered to"
check "systemctl start netcryptd-b" timeout 100 systemctl start netcryptd-b
check "the two daemons link" wait_for 300 linked

# -- watchdog: 3 s for hostb; pings every 1.5 s keep it alive.
check "WatchdogSec=1min for netcryptd" is netcryptd WatchdogUSec 1min
b_pid=$(prop netcryptd-b MainPID)
t1=$(prop netcryptd-b WatchdogTimestampMonotonic)
sleep 5
t2=$(prop netcryptd-b WatchdogTimestampMonotonic)
# A restart would reset the timestamp too: same process, no restart.
check "hostb outlived its 3 s watchdog: same process" \
	is netcryptd-b MainPID "$b_pid"
check "... without a restart" is netcryptd-b NRestarts 0
check "... and its WATCHDOG=1 pings arrived (timestamp $t1 -> $t2)" \
	test "$t2" -gt "$t1"

# -- reload: SIGHUP via ExecReload, the link stays up.
a_pid=$(prop netcryptd MainPID)
hs=$(daemon "$A_CTL" handshakes_ok)
rc_b=$(peer "$B_CTL" hosta reconnects)
check "systemctl reload netcryptd" timeout 60 systemctl reload netcryptd
# "reloading" from RELOADING=1 until READY=1.
check "... active again" wait_for 300 is netcryptd ActiveState active
sleep 1
check "... same main process" is netcryptd MainPID "$a_pid"
check "... the daemon logged the reload" journal_has netcryptd "master.*[Rr]eload\|SIGHUP"
check "... the link is still up" linked
check "... and was not re-established (handshakes $hs)" \
	test "$(daemon "$A_CTL" handshakes_ok)" = "$hs"
check "... nor reconnected by hostb ($rc_b)" \
	test "$(peer "$B_CTL" hosta reconnects)" = "$rc_b"
cp "$ETC/netcryptd.conf" /nc-test/good.conf
echo "this is not a statement" >> "$ETC/netcryptd.conf"
check "systemctl reload refuses a broken configuration" \
	not timeout 60 systemctl reload netcryptd
cp /nc-test/good.conf "$ETC/netcryptd.conf"
check "... and the daemon runs on" is netcryptd MainPID "$a_pid"
check "... linked" linked

# -- kill -9 of a child: the master stops with status 1, systemd restarts it.
net=$(child_of netcryptd network)
check "found the network child ($net)" test -n "$net"
[ -n "$net" ] && kill -9 "$net"
restarted() { is netcryptd NRestarts 1 && is netcryptd SubState running &&
	! is netcryptd MainPID "$a_pid"; }
check "systemd restarted netcryptd after kill -9 of its network child" \
	wait_for 300 restarted
check "... the death is logged as a warning" \
	warnings_have netcryptd "network (pid $net) killed by signal 9"
check "... and the daemon started again" \
	test "$(count_in_journal netcryptd 'started: key-holder')" -eq 2
check "... and the link came back" wait_for 400 linked

# -- the journal: the daemon's lines, with their priorities.
check "journalctl -u netcryptd has the master's lines" \
	journal_has netcryptd "^master\[[0-9]*\]: started: key-holder"
check "info lines are not warnings (priorities reach journald)" \
	not warnings_have netcryptd "started: key-holder"

# -- stop: SIGTERM, children stopped by the master, status 0.
a_pid=$(prop netcryptd MainPID)
check "systemctl stop netcryptd-b netcryptd" \
	timeout 60 systemctl stop netcryptd-b netcryptd
check "netcryptd stopped cleanly (Result=success)" is netcryptd Result success
check "... exit status 0" is netcryptd ExecMainStatus 0
check "netcryptd-b stopped cleanly" is netcryptd-b Result success
check "... the master logged SIGTERM" journal_has netcryptd "received SIGTERM, stopping"
check "... and its exit status 0" journal_has netcryptd "exiting with status 0"
check "no netcryptd process is left" not pgrep -f "^netcryptd: "

journalctl -b --no-pager > /nc-test/journal 2>&1
echo "done $P $F" >&3
EOF
cat > "$ROOT/etc/systemd/system/nc-test.service" <<'EOF'
[Unit]
Description=netcryptd test under systemd
After=multi-user.target
SuccessAction=poweroff
FailureAction=poweroff

[Service]
Type=oneshot
ExecStart=/bin/bash /nc-test/run.sh
TimeoutStartSec=180
EOF
mkdir -p "$ROOT/etc/systemd/system/multi-user.target.wants"
ln -s ../nc-test.service "$ROOT/etc/systemd/system/multi-user.target.wants/nc-test.service"

# ---- boot ----------------------------------------------------------
# nspawn's own seccomp filter refuses mlock(2) to a container without
# CAP_IPC_LOCK, whatever the limits.  On a host, the kernel lets root
# without the capability lock up to RLIMIT_MEMLOCK, and that is all the
# unit (LimitMEMLOCK=, no CAP_IPC_LOCK in its bounding set) relies on.
systemd-nspawn -q -b --register=no --keep-unit --private-network \
	--capability=CAP_IPC_LOCK \
	-D "$ROOT" < /dev/null > "$T_DIR/console.log" 2>&1 &
NSPAWN_PID=$!
if ! t_wait_gone "$NSPAWN_PID" 2000; then
	not_ok "the container did not power off within 200 s"
fi
wait "$NSPAWN_PID" 2>/dev/null
NSPAWN_PID=

R=$ROOT/nc-test/results
if ! grep -qx booted "$R" 2>/dev/null; then
	tail -n 20 "$T_DIR/console.log"
	skip "systemd-nspawn did not boot the container (see above)"
fi
while IFS= read -r line; do
	case "$line" in
	ok:*) T_PASSED=$((T_PASSED + 1)); echo "$line" ;;
	FAIL:*) T_FAILED=$((T_FAILED + 1)); echo "$line" ;;
	esac
done < "$R"
grep -q '^done ' "$R" || not_ok "the test inside the container did not finish"
if [ "$T_FAILED" -gt 0 ]; then
	echo "--- trace"; tail -n 40 "$ROOT/nc-test/trace"
	echo "--- journal of netcryptd"
	grep -E 'netcryptd|nc-test' "$ROOT/nc-test/journal" 2>/dev/null | tail -n 60
fi
t_done
