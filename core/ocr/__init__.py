"""Reading plates: detection in a bay's region of interest, recognition, voting, a confidence gate."""
