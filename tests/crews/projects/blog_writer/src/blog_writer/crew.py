from crewai import LLM, Agent, Crew, Process, Task
from crewai.project import CrewBase, agent, crew, task

MODEL = LLM(model="openai/scripted-model", temperature=0.2)


@CrewBase
class BlogWriterCrew:
    """Drafts a post, then an editor polishes it."""

    @agent
    def writer(self) -> Agent:
        return Agent(config=self.agents_config["writer"], llm=LLM(model="openai/scripted-model"))

    @agent
    def editor(self) -> Agent:
        return Agent(
            role="Editor",
            goal="Make every post about {subject} read well",
            backstory="An editor with a red pen.",
            llm="openai/scripted-model",
            allow_delegation=False,
        )

    @task
    def polish(self) -> Task:
        return Task(config=self.tasks_config["polish"], agent=self.editor())

    @task
    def draft(self) -> Task:
        return Task(config=self.tasks_config["writer"], agent=self.writer())

    @crew
    def crew(self) -> Crew:
        return Crew(
            agents=self.agents,
            tasks=[self.draft(), self.polish()],
            process=Process.sequential,
        )
