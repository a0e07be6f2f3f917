"""Slack tokens and the signing secret, read from the environment only and never shown."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass

from pydantic import SecretStr

from ..errors import ConfigError

BOT_TOKEN = "SLACK_BOT_TOKEN"
SIGNING_SECRET = "SLACK_SIGNING_SECRET"
APP_TOKEN = "SLACK_APP_TOKEN"


@dataclass(frozen=True)
class SlackCredentials:
    """The bot token (xoxb-), the signing secret (HTTP transport) and the app token (xapp-, Socket Mode).

    Values are `SecretStr`, so printing, logging or repr() of this object never reveals them.
    """

    bot_token: SecretStr
    signing_secret: SecretStr | None = None
    app_token: SecretStr | None = None

    @classmethod
    def from_environment(cls, environ: Mapping[str, str] | None = None) -> SlackCredentials | None:
        """The credentials in the environment, or None when no bot token is set (the bot is off)."""
        env = os.environ if environ is None else environ
        bot = env.get(BOT_TOKEN, "").strip()
        if not bot:
            return None
        if not bot.startswith("xoxb-"):
            raise ConfigError(f"{BOT_TOKEN} must be a bot token (it starts with xoxb-)")
        app = env.get(APP_TOKEN, "").strip()
        if app and not app.startswith("xapp-"):
            raise ConfigError(f"{APP_TOKEN} must be an app-level token (it starts with xapp-)")
        secret = env.get(SIGNING_SECRET, "").strip()
        return cls(
            bot_token=SecretStr(bot),
            signing_secret=SecretStr(secret) if secret else None,
            app_token=SecretStr(app) if app else None,
        )

    def require_signing_secret(self) -> str:
        if self.signing_secret is None:
            raise ConfigError(
                f"the HTTP transport needs {SIGNING_SECRET} (Basic Information > App Credentials)"
            )
        return self.signing_secret.get_secret_value()

    def require_app_token(self) -> str:
        if self.app_token is None:
            raise ConfigError(
                f"Socket Mode needs {APP_TOKEN}, an app-level token with the connections:write scope"
            )
        return self.app_token.get_secret_value()
