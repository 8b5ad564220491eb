"""Form validation actions (`validate_<form>`), one module per topic."""
