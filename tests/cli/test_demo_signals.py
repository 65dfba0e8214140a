"""SIGTERM stops `duoflow demo` as Ctrl-C does: the runtime stops and removes its throwaway state directory (the
demo keeps nothing), and the command ends with the interrupt's exit code, 130."""

from __future__ import annotations

import signal

from tests.cli.conftest import Process


def test_sigterm_stops_the_demo_and_removes_its_throwaway_state_directory(tmp_path):
    temporary = tmp_path / "tmp"
    temporary.mkdir()
    # Modelled time × 0.2: Charlie's fraud check waits 1 s, so the signal comes while a run is in flight.
    args = ["demo", "--scenario", "loan", "--case", "alice", "--case", "charlie", "--time-scale", "0.2"]
    demo = Process(args, tmp_path, tmp_path / "demo.log", env={"TMPDIR": str(temporary)})
    try:
        demo.wait_for(lambda log: "alice" in log, "Alice's run finished")
        assert [path.name[:8] for path in temporary.iterdir()] == ["duoflow-"], "the runtime's throwaway state"
        assert demo.stop(signal.SIGTERM) == 130, demo.log()
    finally:
        demo.close()
    assert "charlie" not in demo.log(), "the demo ran to its end before the signal: nothing was tested"
    assert list(temporary.iterdir()) == [], f"left behind: {list(temporary.iterdir())}"
