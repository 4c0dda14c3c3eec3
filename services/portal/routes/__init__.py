"""Every URL the portal answers: thin routes that check, call pages/ or officer/, and render."""
