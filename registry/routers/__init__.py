"""One router per resource of the Confluent Schema Registry API."""
