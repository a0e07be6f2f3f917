from pathlib import Path

import pytest

from assistant.retrieve.rerank_training import TrainingGroup, fine_tune

# Hand-written groups for a small cross-encoder fine-tuned in the test run: each question, the passage that
# answers it, one on its topic that does not, and one off topic. None is about advertising, cafeterias or the
# questions the tests ask the model.
GROUPS = [
    TrainingGroup(
        "When must a personal data breach be reported to the authority?",
        (
            "The controller shall notify the supervisory authority of a personal data breach within 72 hours "
            "of becoming aware of it.",
            "The supervisory authority publishes an annual report on personal data breaches.",
            "The museum opens at nine in the morning on weekdays.",
        ),
    ),
    TrainingGroup(
        "How long are customer records kept?",
        (
            "We retain customer records for seven years after the account is closed, then delete them.",
            "Customer records are an important part of how we serve customers.",
            "The river flooded the lower town twice last century.",
        ),
    ),
    TrainingGroup(
        "Can users delete their account?",
        (
            "You may delete your account at any time from the settings page; your data is then erased within "
            "30 days.",
            "Users of an account can change its colour theme on the settings page.",
            "The orchestra rehearses every Thursday evening.",
        ),
    ),
    TrainingGroup(
        "What is the maximum fine for a violation?",
        (
            "Violations are subject to fines of up to EUR 20 million or 4% of worldwide annual turnover.",
            "This section concerns violations and the fines that apply to them.",
            "Tomatoes grow best in full sun with regular watering.",
        ),
    ),
    TrainingGroup(
        "Who chairs the council?",
        (
            "The council is chaired by the Minister of Science, who convenes it at least twice a year.",
            "The council publishes the minutes of its meetings.",
            "A marathon is just over forty-two kilometres long.",
        ),
    ),
    TrainingGroup(
        "Does the law apply to military systems?",
        (
            "This law does not apply to systems developed or used exclusively for military or defence purposes.",
            "The law sets obligations for providers of systems, military suppliers among others.",
            "The bakery sells fresh bread every morning.",
        ),
    ),
    TrainingGroup(
        "Which agencies must publish an inventory of their AI use cases?",
        (
            "Each federal agency shall publish an annual inventory of its artificial intelligence use cases.",
            "AI use cases are increasingly common across agencies.",
            "Snow fell across the northern mountains overnight.",
        ),
    ),
    TrainingGroup(
        "How is personal data protected in transit?",
        (
            "All personal data is encrypted in transit using TLS, and access is restricted to authorised staff.",
            "Personal data may include your name, address and phone number.",
            "The ferry crosses the bay every two hours.",
        ),
    ),
    TrainingGroup(
        "When will the national strategy be reviewed?",
        (
            "The strategy will be reviewed in 2027 and updated every three years thereafter.",
            "The national strategy was written with input from industry and academia.",
            "Penguins live mostly in the southern hemisphere.",
        ),
    ),
    TrainingGroup(
        "Do you sell my information to third parties?",
        (
            "We do not sell your personal information to third parties for their own marketing.",
            "Third parties may have privacy policies of their own.",
            "The stadium holds forty thousand spectators.",
        ),
    ),
    TrainingGroup(
        "How much funding does the plan allocate to research?",
        (
            "The plan allocates 2 billion euros to artificial intelligence research over five years.",
            "Research funding is a key pillar of the plan.",
            "The cathedral's tower was finished in 1880.",
        ),
    ),
    TrainingGroup(
        "What must providers do before placing a high-risk system on the market?",
        (
            "Before placing a high-risk system on the market, providers shall carry out a conformity assessment.",
            "High-risk systems placed on the market are listed in an annex.",
            "The recipe calls for two cups of flour.",
        ),
    ),
]


@pytest.fixture(scope="session")
def fine_tuned_cross_encoder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A cross-encoder fine-tuned here from the packaged MiniLM on GROUPS (about 20 s on two cores)."""
    tuned = fine_tune(GROUPS, epochs=15, batch=4, max_length=96)
    return tuned.save(tmp_path_factory.mktemp("cross-encoder"), {"data": "tests/retrieve/conftest.py GROUPS"})
