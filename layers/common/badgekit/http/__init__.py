"""The API Gateway edge: routing, request decoding, auth, error bodies, resolution."""
