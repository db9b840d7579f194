from job_posting.crew import JobPostingCrew


def run():
    inputs = {
        'company_domain': 'careers.wbd.com',
        'company_description': "Warner Bros. Discovery is a premier global media company.",
        'hiring_needs': 'Production Assistant, for a TV production set in Los Angeles in June 2025',
    }
    JobPostingCrew().crew().kickoff(inputs=inputs)
