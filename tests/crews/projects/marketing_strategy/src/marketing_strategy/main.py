#!/usr/bin/env python
from marketing_strategy.crew import MarketingPostsCrew


def run():
    inputs = {
        'customer_domain': 'crewai.com',
        'project_description': "CrewAI, a leading provider of multi-agent systems, aims to "
        "revolutionize marketing automation for its enterprise clients.",
    }
    MarketingPostsCrew().crew().kickoff(inputs=inputs)
