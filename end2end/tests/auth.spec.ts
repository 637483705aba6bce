import { test, expect, uniqueEmail, PASSWORD, signUp, waitForHydration } from "./fixtures";

test("the password toggle proves the page hydrated", async ({ page }) => {
  await page.goto("/signup");
  // Before the wasm runs, nothing can change the input type; after, one click does.
  await waitForHydration(page);
  await expect(page.locator(".password .toggle").first()).toHaveText("Show");
});

test("sign up, see the empty clusters page with quotas, sign out, sign in", async ({ page }) => {
  const email = uniqueEmail("ada");
  await signUp(page, email);
  await expect(page).toHaveURL(/\/clusters$/);
  await expect(page.locator("#cluster-quota")).toContainText("0 of 3 clusters");
  await expect(page.locator("#cluster-quota")).toContainText("up to 3 segments each");
  await expect(page.getByRole("heading", { name: "No clusters yet" })).toBeVisible();

  await page.getByRole("link", { name: email }).click();
  await expect(page.locator("#account-email")).toHaveText(email);
  await expect(page.locator("#account-quota")).toHaveText("0 of 3");
  await page.click("#sign-out button[type=submit]");
  await expect(page).toHaveURL(/\/\?signed_out=1$/);
  await expect(page.locator("#signed-out")).toHaveText("You are signed out.");
  await expect(page.getByRole("navigation").getByRole("link", { name: "Sign in" })).toBeVisible();

  // Signed out, the clusters page sends us to sign in, and back afterwards.
  await page.goto("/clusters");
  await expect(page).toHaveURL(/\/signin\?next=\/clusters$/);
  await waitForHydration(page);
  await page.fill("#field-email", email.toUpperCase());
  await page.fill("#field-password", PASSWORD);
  await page.click("#sign-in button[type=submit]");
  await expect(page).toHaveURL(/\/clusters$/);
  await expect(page.locator("#cluster-quota")).toContainText("0 of 3 clusters");
});

test("sign-in with a hostile next lands on the panel, a local next is honoured", async ({ page, baseURL }) => {
  const email = uniqueEmail("next");
  await signUp(page, email);
  await expect(page).toHaveURL(/\/clusters$/);
  const panel = new URL(baseURL ?? "http://127.0.0.1:3000").origin;
  const signInWith = async (next: string) => {
    await page.context().clearCookies();
    await page.goto(`/signin?next=${encodeURIComponent(next)}`);
    await waitForHydration(page);
    await page.fill("#field-email", email);
    await page.fill("#field-password", PASSWORD);
    await page.click("#sign-in button[type=submit]");
  };
  const hostiles = ["https://evil.example/", "//evil.example/", "/\\evil.example/", "/%2F%2Fevil.example/", "/\t/evil.example/"];
  for (const hostile of hostiles) {
    await signInWith(hostile);
    await expect(page, `next=${hostile}`).toHaveURL(`${panel}/clusters`);
    await expect(page.locator("#cluster-quota")).toContainText("0 of 3 clusters");
  }
  await signInWith("/account");
  await expect(page).toHaveURL(`${panel}/account`);
});

test("a wrong password gets a clear message and no session", async ({ page }) => {
  const email = uniqueEmail("bob");
  await signUp(page, email);
  await expect(page).toHaveURL(/\/clusters$/);
  await page.context().clearCookies();

  await page.goto("/signin");
  await waitForHydration(page);
  await page.fill("#field-email", email);
  await page.fill("#field-password", "not the password at all");
  await page.click("#sign-in button[type=submit]");
  await expect(page.getByRole("alert")).toHaveText("Wrong email or password.");
  await expect(page).toHaveURL(/\/signin/);
  // The error goes once the form is edited.
  await page.fill("#field-password", "another try");
  await expect(page.getByRole("alert")).toHaveCount(0);
  await page.goto("/clusters");
  await expect(page).toHaveURL(/\/signin/);
});

test("sign-up refuses a taken email and a weak password with clear messages", async ({ page }) => {
  const email = uniqueEmail("cy");
  await signUp(page, email);
  await expect(page).toHaveURL(/\/clusters$/);
  await page.context().clearCookies();

  await signUp(page, email);
  await expect(page.getByRole("alert")).toContainText("already exists");
  // The way on is a link.
  await expect(page.locator("#sign-in-instead").getByRole("link", { name: "Sign in instead" })).toHaveAttribute(
    "href",
    "/signin",
  );

  await page.fill("#field-email", uniqueEmail("dee"));
  await page.fill("#field-password", "short");
  await page.click("#sign-up button[type=submit]");
  await expect(page.getByRole("alert")).toContainText("too weak");
});

test("the password rule is said as it is typed", async ({ page }) => {
  await page.goto("/signup");
  await waitForHydration(page);
  const rule = page.locator("#field-password-rule");
  await page.fill("#field-password", "short");
  await expect(rule).toHaveText("5 of 10 characters: 5 more to go.");
  await expect(rule).not.toHaveClass(/met/);
  await page.fill("#field-password", PASSWORD);
  await expect(rule).toHaveText(`${PASSWORD.length} characters: long enough.`);
  await expect(rule).toHaveClass(/met/);
});

test("the sign-in page puts the cursor in the email field", async ({ page }) => {
  await page.goto("/signin");
  await expect(page.locator("#field-email")).toBeFocused();
});

test("signed in: the header links the account and signs out, home leads to the clusters, focus follows page changes", async ({
  page,
}) => {
  const email = uniqueEmail("header");
  await signUp(page, email);
  await expect(page).toHaveURL(/\/clusters$/);
  const nav = page.getByRole("navigation");
  const who = nav.getByRole("link", { name: email });
  await expect(who).toHaveAttribute("href", "/account");
  // It looks like a link: underlined.
  expect(await who.evaluate((e) => getComputedStyle(e).textDecorationLine)).toContain("underline");

  // A client-side page change moves focus to the new page's heading.
  await who.click();
  await expect(page).toHaveURL(/\/account$/);
  await expect(page.locator("main h1")).toHaveText("Account");
  await expect(page.locator("main h1")).toBeFocused();

  await page.goto("/");
  await expect(page.locator("#home-signed-in").getByRole("link", { name: "Your clusters" })).toBeVisible();
  await expect(page.getByRole("link", { name: "Create an account" })).toHaveCount(0);
  await expect(page.locator("main")).toContainText(`Signed in as ${email}: 0 of 3 clusters in use.`);
  // A stale "signed out" link does not contradict the header.
  await page.goto("/?signed_out=1");
  await expect(page.locator("#home-signed-in")).toBeVisible();
  await expect(page.locator("#signed-out")).toHaveCount(0);

  await page.click("#header-sign-out button[type=submit]");
  await expect(page).toHaveURL(/\/\?signed_out=1$/);
  await expect(page.locator("#signed-out")).toHaveText("You are signed out.");
  await expect(nav.getByRole("link", { name: "Sign in" })).toBeVisible();
  await expect(who).toHaveCount(0);
  await expect(page.getByRole("link", { name: "Create an account" })).toBeVisible();
});

test.describe("without JavaScript", () => {
  test.use({ javaScriptEnabled: false });

  test("the header's Sign out works with a plain form and says so", async ({ page }) => {
    await page.goto("/signup");
    await page.fill("#field-email", uniqueEmail("nojs-out"));
    await page.fill("#field-password", PASSWORD);
    await page.click("#sign-up button[type=submit]");
    await expect(page).toHaveURL(/\/clusters$/);
    await page.click("#header-sign-out button[type=submit]");
    await expect(page).toHaveURL(/\/\?signed_out=1$/);
    await expect(page.locator("#signed-out")).toHaveText("You are signed out.");
    await expect(page.getByRole("navigation").getByRole("link", { name: "Sign in" })).toBeVisible();
  });

  test("the forms still work: sign up, wrong password, sign in", async ({ page }) => {
    const email = uniqueEmail("nojs");
    await page.goto("/signup");
    await page.fill("#field-email", email);
    await page.fill("#field-password", PASSWORD);
    await page.click("#sign-up button[type=submit]");
    await expect(page).toHaveURL(/\/clusters$/);
    await expect(page.locator("#cluster-quota")).toContainText("0 of 3 clusters");

    await page.context().clearCookies();
    await page.goto("/signin");
    await page.fill("#field-email", email);
    await page.fill("#field-password", "not the password at all");
    await page.click("#sign-in button[type=submit]");
    await expect(page.getByRole("alert")).toHaveText("Wrong email or password.");

    await page.fill("#field-email", email);
    await page.fill("#field-password", PASSWORD);
    await page.click("#sign-in button[type=submit]");
    await expect(page).toHaveURL(/\/clusters$/);
  });
});

test("unknown pages answer 404 with a friendly page", async ({ page }) => {
  const response = await page.goto("/no/such/page");
  expect(response?.status()).toBe(404);
  await expect(page.getByRole("heading", { name: "Page not found" })).toBeVisible();
});

test("a cross-site form post is refused", async ({ request, baseURL }) => {
  const response = await request.post(`${baseURL}/api/sign_in`, {
    headers: { Origin: "http://evil.example", "Content-Type": "application/x-www-form-urlencoded" },
    data: "email=a%40example.com&password=whatever",
  });
  expect(response.status()).toBe(403);
});
