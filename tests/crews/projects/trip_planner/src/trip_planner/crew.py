from crewai import Agent, Crew, Process, Task
from crewai.project import CrewBase, agent, crew, task


@CrewBase
class TripCrew:
    """Plans a trip: pick a city, learn it, plan the days."""

    @agent
    def city_selection_agent(self) -> Agent:
        return Agent(config=self.agents_config['city_selection_agent'], max_iter=5)

    @agent
    def local_expert(self) -> Agent:
        return Agent(config=self.agents_config['local_expert'])

    @agent
    def travel_concierge(self) -> Agent:
        return Agent(config=self.agents_config['travel_concierge'])

    @task
    def identify_task(self) -> Task:
        return Task(config=self.tasks_config['identify_task'])

    @task
    def gather_task(self) -> Task:
        return Task(config=self.tasks_config['gather_task'])

    @task
    def plan_task(self) -> Task:
        return Task(
            config=self.tasks_config['plan_task'],
            context=[self.identify_task(), self.gather_task()],
        )

    @crew
    def crew(self) -> Crew:
        return Crew(agents=self.agents, tasks=self.tasks, process=Process.sequential)
