<%@ page contentType="application/json; charset=UTF-8" session="true" trimDirectiveWhitespaces="true" %>
<%@ include file="/WEB-INF/jspf/session.jspf" %>
<% response.setHeader("Cache-Control", "no-store"); out.print(sfEcho(request, session, application)); %>
