"""The live bar stream: transport, publisher, consumer and its status."""
