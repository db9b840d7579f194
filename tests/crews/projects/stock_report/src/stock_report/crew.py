from typing import List

from crewai import Agent, Crew, Process, Task
from crewai.project import CrewBase, agent, crew, task
from pydantic import BaseModel, Field


class StockReport(BaseModel):
    """The analysis, in a shape a dashboard can show."""
    title: str
    points: List[str]
    score: float
    buy: bool


@CrewBase
class StockReportCrew:
    """Stock report crew"""

    @agent
    def financial_analyst(self) -> Agent:
        return Agent(config=self.agents_config['financial_analyst'], verbose=True)

    @task
    def financial_analysis(self) -> Task:
        return Task(
            config=self.tasks_config['financial_analysis'],
            output_pydantic=StockReport,
            markdown=False,
        )

    @crew
    def crew(self) -> Crew:
        return Crew(agents=self.agents, tasks=self.tasks, process=Process.sequential)
