from tests.strategies.contract import StrategyContract
class TestGeneticContract(StrategyContract):
    strategy = "genetic"
