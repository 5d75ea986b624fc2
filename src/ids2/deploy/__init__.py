"""The deploy: phases A-G that take a configuration from file to a verified, running sensor."""
