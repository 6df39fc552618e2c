"""Settings derived before a crawl's settings freeze (crawler/addons.py), loaded by Scrapy's
own add-on manager from the project's ADDONS, as every crawl loads them (`dca crawl` and
`scrapy crawl` alike)."""

from scrapy.addons import AddonManager
from scrapy.settings import Settings

CONTACT = "https://archive.example.org/who-we-are"
PLACEHOLDER = "(archival crawler; +https://example.invalid/dca-operator)"


def user_agent_after_addons(**cmdline) -> str:
    settings = Settings()
    settings.setmodule("crawler.settings", priority="project")
    settings.setdict(cmdline, priority="cmdline")
    AddonManager(None).load_settings(settings)
    return settings["USER_AGENT"]


def test_the_operators_contact_goes_into_the_user_agent():
    agent = user_agent_after_addons(DCA_CONTACT=CONTACT)
    assert agent.startswith("dca/") and agent.endswith(f"(archival crawler; +{CONTACT})")


def test_without_a_contact_the_placeholder_stays():
    assert user_agent_after_addons().endswith(PLACEHOLDER)


def test_a_user_agent_given_whole_is_kept():
    assert user_agent_after_addons(USER_AGENT="ops-bot/1.0", DCA_CONTACT=CONTACT) == "ops-bot/1.0"
