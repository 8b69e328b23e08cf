"""The operator console: the admin site's overview (its landing page), the launch form and the serial
console in the browser. Reads through selectors, writes through the domain's services."""
