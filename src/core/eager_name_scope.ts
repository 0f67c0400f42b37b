/** Name scopes while executing eagerly only prefix variable names (no node is built). */
const stack: string[] = [];

export function eagerNameScope(): string {
  return stack.length ? `${stack.join("/")}/` : "";
}
export function withEagerNameScope<T>(name: string, fn: (scope: string) => T): T {
  if (name.endsWith("/")) {
    const saved = stack.splice(0, stack.length, ...name.slice(0, -1).split("/").filter(Boolean));
    try {
      return fn(eagerNameScope());
    } finally {
      stack.splice(0, stack.length, ...saved);
    }
  }
  stack.push(name);
  try {
    return fn(eagerNameScope());
  } finally {
    stack.pop();
  }
}
