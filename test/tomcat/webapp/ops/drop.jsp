<%@ page contentType="application/json; charset=UTF-8" session="false" trimDirectiveWhitespaces="true" %>
<%@ include file="/WEB-INF/jspf/session.jspf" %>
<%
  // Out-of-band session drop for tests: invalidates the session whose hash (as reported by
  // the echo pages) is given in ?session=. Unprotected: this backend listens on 127.0.0.1 only.
  String wanted = request.getParameter("session");
  int dropped = 0;
  for (HttpSession s : sfSessions(application).keySet()) {
    String hash;
    try {
      hash = sfHash(s.getId());
      s.getCreationTime(); // throws if already invalidated
    } catch (IllegalStateException gone) {
      sfSessions(application).remove(s);
      continue;
    }
    if (hash.equals(wanted)) {
      sfSessions(application).remove(s);
      s.invalidate();
      dropped++;
    }
  }
  response.setHeader("Cache-Control", "no-store");
  out.print("{\"dropped\":" + dropped + "}");
%>
