from random import randint

from poem_writer.crew import PoemCrew


def kickoff():
    inputs = {"topic": "the sea", "tone": "plain", "sentence_count": randint(1, 5)}
    PoemCrew().crew().kickoff(inputs=inputs)
