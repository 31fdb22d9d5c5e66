#!/bin/sh
# Two stand-in "machines" for running distlearn across hosts on one box: two network
# namespaces joined by a veth pair, each with its own IP address and its own hostname.
# The filesystem stays shared, as a cluster's home directory is.
#
#   bench/netns_hosts.sh up      # namespaces lt-a 10.203.77.1, lt-b 10.203.77.2 (idempotent)
#   bench/netns_hosts.sh down    # removes them and the state directory (idempotent)
#   bench/netns_hosts.sh cut     # brings the veth down (a network partition) ...
#   bench/netns_hosts.sh mend    # ... and up again
#
# `up` writes, under $LT_NETNS_DIR (default /tmp/luatorch-netns):
#   rsh       the remote shell agent Open MPI calls instead of ssh: `rsh [opts] HOST CMD...`
#             runs CMD in HOST's namespace, under HOST's hostname, with a clean environment
#             (as ssh gives), LT_HOST=HOST telling a script which machine it is on
#   hostfile  lt-a slots=1 / lt-b slots=1
#   on        `on HOST CMD...` runs CMD on that machine (as a login would)
# and /etc/netns/<ns>/hosts, which `ip netns exec` puts over /etc/hosts, naming both hosts.
#
# A job across the two machines (mpiexec runs on lt-a; the rank on lt-b is started through
# the agent; ranks talk TCP over the veth only):
#
#   D=/tmp/luatorch-netns N=10.203.77.0/24
#   export PRTE_MCA_plm_ssh_agent=$D/rsh PRTE_MCA_oob_tcp_if_include=$N \
#          OMPI_MCA_btl=tcp,self OMPI_MCA_btl_tcp_if_include=$N
#   $D/on lt-a luatorch run --np 2 --hostfile $D/hostfile script.lua
#   $D/on lt-a mpiexec -n 2 --hostfile $D/hostfile --allow-run-as-root -x PYTHONPATH \
#       luatorch run script.lua
#
# (`on` keeps PYTHONPATH and the LUATORCH_/OMPI_MCA_/PRTE_MCA_ settings; the agent passes no
# environment, as ssh: a plain mpiexec needs -x for what the remote ranks must see, which
# `luatorch run --np --hostfile` adds for PYTHONPATH and LUATORCH_ settings. Open MPI 5 takes
# the agent from PRTE_MCA_plm_ssh_agent or --prtemca plm_ssh_agent, not OMPI_MCA_.)
#
# Settings: LT_NETNS_PREFIX (namespace names, default lt: lt-a, lt-b), LT_NETNS_NET (the first
# three octets of the /24, default 10.203.77), LT_NETNS_DIR. Needs root and iproute2.
set -eu

P=${LT_NETNS_PREFIX:-lt}
NET=${LT_NETNS_NET:-10.203.77}
D=${LT_NETNS_DIR:-/tmp/luatorch-netns}
A=${P}-a
B=${P}-b
# where a login on either host finds luatorch and mpiexec (a cluster's .bashrc would say)
BIN=${LT_NETNS_BIN:-$(dirname "$(command -v luatorch || echo /usr/bin/luatorch)")}

has_ns() { ip netns list | awk '{print $1}' | grep -qx "$1"; }

up() {
    for ns in "$A" "$B"; do
        has_ns "$ns" || ip netns add "$ns"
        ip -n "$ns" link set lo up
    done
    if ! ip -n "$A" link show veth0 >/dev/null 2>&1; then
        # made inside the namespaces at once: no name in the host's own stack to clash with
        ip link add veth0 netns "$A" type veth peer name veth0 netns "$B"
    fi
    ip -n "$A" addr replace "$NET.1/24" dev veth0
    ip -n "$B" addr replace "$NET.2/24" dev veth0
    ip -n "$A" link set veth0 up
    ip -n "$B" link set veth0 up
    mkdir -p "$D"
    for ns in "$A" "$B"; do
        mkdir -p "/etc/netns/$ns"
        printf '127.0.0.1 localhost\n%s.1 %s\n%s.2 %s\n' "$NET" "$A" "$NET" "$B" \
            > "/etc/netns/$ns/hosts"
    done
    printf '%s slots=1\n%s slots=1\n' "$A" "$B" > "$D/hostfile"
    # quoted here-documents, the settings filled in after: the scripts keep their own $s
    cat > "$D/on" <<'EOF'
#!/bin/sh
# on HOST CMD...: CMD on that stand-in machine (its network, its hostname) in a clean
# environment, as a login gives, keeping only PYTHONPATH and LUATORCH_/OMPI_/PRTE_ settings
h=$1; shift
case "$h" in @A@|@B@) ;; *) echo "on: unknown host $h (expected @A@ or @B@)" >&2; exit 255;; esac
n=$#
for v in $(env | sed -n 's/^\(PYTHONPATH\|LUATORCH_[A-Za-z0-9_]*\|OMPI_MCA_[A-Za-z0-9_]*\|PRTE_MCA_[A-Za-z0-9_]*\)=.*/\1/p'); do
    set -- "$@" "$v=$(printenv "$v")"
done
# the kept settings go before the command, as env wants them
i=0; while [ $i -lt $n ]; do set -- "$@" "$1"; shift; i=$((i + 1)); done
exec ip netns exec "$h" unshare --uts /bin/sh -c 'hostname "$0" && exec "$@"' "$h" \
    env -i HOME="${HOME:-/root}" LT_HOST="$h" \
    PATH="@BIN@:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin" "$@"
EOF
    cat > "$D/rsh" <<'EOF'
#!/bin/sh
# Open MPI's remote shell agent (as ssh): rsh [options] HOST COMMAND...
while [ $# -gt 0 ]; do
    case "$1" in
        -[bcDeEFIiJLlmOopQRSWw]) shift 2;;
        -*) shift;;
        *) break;;
    esac
done
h=$1; shift
# ssh hands the words to the remote login shell as one command line and passes no
# environment: neither does this
exec env -i HOME="${HOME:-/root}" @D@/on "$h" /bin/sh -c "$*"
EOF
    sed -i -e "s|@A@|$A|g" -e "s|@B@|$B|g" -e "s|@BIN@|$BIN|g" -e "s|@D@|$D|g" "$D/on" "$D/rsh"
    chmod +x "$D/on" "$D/rsh"
    echo "hosts $A ($NET.1) and $B ($NET.2) are up; files in $D"
    echo "export PRTE_MCA_plm_ssh_agent=$D/rsh PRTE_MCA_oob_tcp_if_include=$NET.0/24" \
         "OMPI_MCA_btl=tcp,self OMPI_MCA_btl_tcp_if_include=$NET.0/24"
}

down() {
    for ns in "$A" "$B"; do
        # a rank left running would hold the namespace's network alive
        for pid in $(ip netns pids "$ns" 2>/dev/null); do kill -9 "$pid" 2>/dev/null || true; done
        has_ns "$ns" && ip netns del "$ns"
        rm -rf "/etc/netns/$ns"
    done
    rmdir /etc/netns 2>/dev/null || true
    rm -rf "$D"
}

case "${1:-}" in
    up) up;;
    down) down;;
    cut) ip -n "$A" link set veth0 down;;
    mend) ip -n "$A" link set veth0 up;;
    *) echo "usage: $0 up|down|cut|mend" >&2; exit 2;;
esac
