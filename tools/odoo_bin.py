"""Odoo's server script for the soak's multi-worker Odoo (``python3 tools/odoo_bin.py <odoo options>``).

The prefork server spawns its websocket process as ``<argv[0]> gevent ...``. Where gevent cannot
start (a dependency of it missing), that process dies at once and the server spawns it again, in a
loop that takes a good share of a small machine's processors; the soak uses no websocket, so in
that case this script waits until the server stops it instead."""

import signal
import sys

if __name__ == "__main__":
    sys.path.pop(0)  # this folder: tools/ holds nothing Odoo should import first
    if sys.argv[1:2] == ["gevent"]:
        try:
            import odoo  # in gevent mode, importing odoo patches the standard library
        except Exception as error:  # whatever stops gevent: wait instead of dying
            print(f"Odoo's websocket process cannot start here ({error}); waiting instead.", flush=True)
            while True:
                signal.pause()
    import odoo.cli

    odoo.cli.main()
