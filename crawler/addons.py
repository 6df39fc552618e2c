"""Scrapy add-ons: settings derived from other settings before a crawl's settings freeze."""

from crawler.settings import user_agent


class ContactUserAgent:
    """`-s DCA_CONTACT=URL` puts the operator's contact into the User-Agent, for `dca crawl`
    and `scrapy crawl` alike, unless USER_AGENT was given at the same level or above."""

    def update_settings(self, settings) -> None:
        if settings.getpriority("DCA_CONTACT") > settings.getpriority("USER_AGENT"):
            settings.set("USER_AGENT", user_agent(settings["DCA_CONTACT"]),
                         priority=settings.getpriority("DCA_CONTACT"))
