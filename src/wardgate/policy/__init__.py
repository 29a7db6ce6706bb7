"""Zero trust for every call: who is calling (identity), may they (authorisation), how much
(limits), and what the gateway does about the findings (decide)."""
