#!/bin/sh
# Entry of the `frr` image (Dockerfile): FRR's daemons for the IronLB speaker's BGP mode, in the
# speaker pod. /etc/frr is a volume shared with the speaker, which writes frr.conf there and
# applies it with frr-reload.py over the vty sockets in /var/run/frr (the other shared volume);
# this container only runs the daemons, restarted by watchfrr when one dies.
set -eu
defaults=/usr/share/ironlb-frr
for f in daemons vtysh.conf; do
  [ -f "/etc/frr/${f}" ] || cp "${defaults}/${f}" "/etc/frr/${f}"
done
[ -f /etc/frr/frr.conf ] || printf 'frr defaults traditional\n' >/etc/frr/frr.conf
chown -R frr:frr /etc/frr /var/run/frr
chmod 0775 /var/run/frr
/usr/lib/frr/frrinit.sh start
trap '/usr/lib/frr/frrinit.sh stop; exit 0' TERM INT
# frrinit.sh leaves the daemons to watchfrr; this container lives as long as watchfrr does.
while kill -0 "$(cat /var/run/frr/watchfrr.pid 2>/dev/null || echo 0)" 2>/dev/null; do
  sleep 5 &
  wait $! || true
done
echo "watchfrr exited" >&2
exit 1
