"""Teams: one team per person and challenge, members up to the challenge's limit, rotatable invite codes."""
