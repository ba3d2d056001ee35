import tornado.web


class BaseHandler(tornado.web.RequestHandler):
    def prepare(self):
        self.started = True
