// Each UTC time on the page, followed by the same instant in the viewer's own time zone.
document.querySelectorAll("time[datetime]").forEach(function (element) {
  var when = new Date(element.getAttribute("datetime"));
  if (isNaN(when)) return;
  var local = document.createElement("span");
  local.className = "local";
  local.textContent = " (" + when.toLocaleString(undefined, {dateStyle: "medium", timeStyle: "medium"}) + " your time)";
  element.after(local);
});
