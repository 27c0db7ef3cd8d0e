// On a phone the main menu starts collapsed behind its "Menu" button; wide screens always show it.
// The menu is served open, so it still works where scripts do not run.
(function () {
  const menu = document.querySelector("header .menu");
  if (menu && window.matchMedia("(max-width: 700px)").matches) {
    menu.open = false;
  }
})();
