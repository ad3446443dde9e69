"""`interviewer ui`: the Chainlit page on http://127.0.0.1:8000 (offline unless a model is set)."""

from __future__ import annotations

import argparse
import signal

from interviewer.core.settings import Settings


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("ui", help="start the chat page (Chainlit) and print its address")
    p.add_argument("--host", default="127.0.0.1", help="address to listen on (default 127.0.0.1)")
    p.add_argument("--port", type=int, default=8000, help="port (default 8000)")
    p.set_defaults(func=run)


def run(args: argparse.Namespace, settings: Settings) -> int:
    from interviewer.ui import launch

    def on_term(signum: int, frame: object) -> None:
        raise KeyboardInterrupt  # so the server below is stopped, not orphaned

    previous = signal.signal(signal.SIGTERM, on_term)
    try:
        proc = launch.start(settings, host=args.host, port=args.port)
        try:
            launch.wait_until_serving(proc, args.host, args.port)
            shown = "127.0.0.1" if args.host in ("0.0.0.0", "") else args.host
            mode = "with a model" if settings.llm_configured else "offline (no LLM configured)"
            print(f"Interviewer is running {mode} on http://{shown}:{args.port}  "
                  "(Ctrl+C stops it)", flush=True)
            return proc.wait()
        except KeyboardInterrupt:
            return 130
        finally:
            launch.stop(proc)
    finally:
        signal.signal(signal.SIGTERM, previous)
