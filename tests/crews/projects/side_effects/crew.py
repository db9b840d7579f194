"""A crew whose module does things when imported: importing it must not run it."""

import pathlib

from crewai import Agent, Crew, Process, Task
from crewai.project import CrewBase, after_kickoff, agent, before_kickoff, crew, task

pathlib.Path("IMPORTED_CREW_PY_RAN").write_text("crew.py was executed\n")


@CrewBase
class SideEffectsCrew:
    """Summarizes text."""

    pathlib.Path("IMPORTED_CREW_PY_CLASS_RAN").write_text("class body ran\n")

    @before_kickoff
    def prepare(self, inputs):
        inputs["text"] = inputs["text"].strip()
        return inputs

    @after_kickoff
    def finish(self, output):
        return output

    @agent
    def summarizer(self) -> Agent:
        return Agent(config=self.agents_config["summarizer"], verbose=True)

    @task
    def summarize(self) -> Task:
        return Task(config=self.tasks_config["summarize"])

    @crew
    def crew(self) -> Crew:
        return Crew(agents=self.agents, tasks=self.tasks, process=Process.sequential)
