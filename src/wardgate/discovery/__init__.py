"""API discovery: every endpoint seen in traffic, templated, described, classified and compared
with what is declared."""
