from stock_report.crew import StockReportCrew


def run():
    inputs = {'company_stock': 'AMZN'}
    result = StockReportCrew().crew().kickoff(inputs=inputs)
    print(result.pydantic)
