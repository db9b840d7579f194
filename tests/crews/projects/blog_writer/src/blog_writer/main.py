from blog_writer.crew import BlogWriterCrew


def run():
    inputs = {"subject": "ast"}
    BlogWriterCrew().crew().kickoff(inputs=inputs)
