"""公开验收: public acceptance — applications, public notices, panel scores, grades, casebook, honours."""
