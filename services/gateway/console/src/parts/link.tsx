import type { ComponentChildren } from 'preact';
import { navigate } from '../navigation.ts';

/** An in-app link: a real href (open in a new tab works), followed without a page load. */
export function Link({ href, children, class: className }: { href: string; children: ComponentChildren; class?: string }) {
  const follow = (event: MouseEvent) => {
    if (event.button !== 0 || event.metaKey || event.ctrlKey || event.shiftKey || event.altKey) return;
    event.preventDefault();
    navigate(href);
  };
  return (
    <a href={href} class={className} onClick={follow}>
      {children}
    </a>
  );
}
