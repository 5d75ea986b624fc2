"""`ids2 status`: controller health from the state files, and the sensor's facts beside it."""
