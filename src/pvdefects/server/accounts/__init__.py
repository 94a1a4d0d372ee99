"""Accounts: people log in with their e-mail address; API tokens for the ``pvdefects submit`` command."""
