import pathlib

from crew import SideEffectsCrew

pathlib.Path("IMPORTED_MAIN_PY_RAN").write_text("main.py was executed\n")

inputs = {"text": "  Tides rise and fall twice a day.  "}
SideEffectsCrew().crew().kickoff(inputs=inputs)
