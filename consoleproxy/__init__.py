"""The serial console proxy (Nova's nova-serialproxy): websockets in, guests' serial consoles out."""
