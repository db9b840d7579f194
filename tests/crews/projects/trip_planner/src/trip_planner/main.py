from trip_planner.crew import TripCrew


def run():
    inputs = {
        "origin": "Lisbon",
        "cities": "Kyoto, Seoul",
        "date_range": "May 2026",
        "interests": "food and temples",
    }
    TripCrew().crew().kickoff(inputs=inputs)
