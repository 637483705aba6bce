import { test, expect, uniqueEmail, PASSWORD, signUp } from "./fixtures";

test("change the password on the account page: the current one first, then sign in with the new one", async ({
  page,
  browser,
}) => {
  const email = uniqueEmail("password");
  await signUp(page, email);
  await expect(page).toHaveURL(/\/clusters$/);
  // A second browser signed in to the same account: its session ends with the change.
  const other = await browser.newContext();
  const elsewhere = await other.newPage();
  await elsewhere.goto("/signin");
  await elsewhere.fill("#field-email", email);
  await elsewhere.fill("#field-password", PASSWORD);
  await elsewhere.click("#sign-in button[type=submit]");
  await expect(elsewhere).toHaveURL(/\/clusters$/);

  await page.goto("/account");
  const form = page.locator("#change-password");
  await form.locator("#field-current_password").fill("not the password at all");
  await form.locator("#field-new_password").fill("a brand new passphrase");
  await form.locator("button[type=submit]").click();
  await expect(page.locator("#password [role=alert]")).toContainText("The current password is not right");

  await form.locator("#field-current_password").fill(PASSWORD);
  await form.locator("button[type=submit]").click();
  await expect(page.locator("#password-changed")).toHaveText("Password changed. 1 other session signed out.");
  // This session stays; the other one is sent to sign in.
  await page.goto("/account");
  await expect(page.locator("#account-email")).toHaveText(email);
  await elsewhere.goto("/account");
  await expect(elsewhere).toHaveURL(/\/signin/);
  await elsewhere.fill("#field-email", email);
  await elsewhere.fill("#field-password", "a brand new passphrase");
  await elsewhere.click("#sign-in button[type=submit]");
  await expect(elsewhere).toHaveURL(/\/account$/);
  await other.close();

  // The activity page lists it, and the operator page is not for this account.
  await page.click("#activity-link");
  await expect(page.locator("#activity")).toContainText("Password changed; 1 other session(s) signed out");
  await expect(page.locator("#activity")).toContainText("Password change refused: wrong current password");
  await expect(page.locator("#operator-link")).toHaveCount(0);
  await page.goto("/operator");
  await expect(page.getByText("This page is for operators.")).toBeVisible();
});
