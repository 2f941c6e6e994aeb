#!/usr/bin/env bash
# Install Debian's prometheus package if `prometheus` is not on PATH (for tests/e2e/test_dashboards.py).
# Idempotent. The tests run their own Prometheus process with their own config and storage, so the
# packaged service must not keep running: only that service is stopped, no other process is touched.
set -euo pipefail

as_root() {
  if [ "$(id -u)" -eq 0 ]; then "$@"; else sudo -n "$@"; fi
}

if ! command -v prometheus >/dev/null 2>&1; then
  export DEBIAN_FRONTEND=noninteractive
  as_root apt-get update -qq
  # No recommends: they would add prometheus-node-exporter, another daemon we do not want.
  as_root apt-get install -y -qq --no-install-recommends prometheus
fi

# The package's postinst starts its service where policy-rc.d allows it (and a reboot may have).
if [ -e /etc/init.d/prometheus ] || [ -e /lib/systemd/system/prometheus.service ]; then
  as_root service prometheus stop >/dev/null 2>&1 || true
fi

prometheus --version 2>&1 | head -n 1
