from django.urls import path

from balie.todos.views import client, staff

app_name = "todos"
urlpatterns = [
    path("taken/", client.todo_list, name="list"),
    path("o/<uuid:client>/taken/<uuid:todo>/", client.todo_open, name="open"),
    path("kantoor/taken/", staff.todo_list, name="staff_list"),
    path("kantoor/taken/<uuid:todo>/herinneren/", staff.todo_send_reminder, name="staff_remind"),
]
