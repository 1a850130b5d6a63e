// Fetches data.json and shows it: proves JavaScript and JSON arrive with their types.
fetch("data.json")
  .then((r) => r.json())
  .then((d) => {
    const p = document.getElementById("status");
    p.textContent = d.message;
    p.className = "ok";
  });
